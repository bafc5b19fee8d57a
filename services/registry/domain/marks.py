"""When two of a pledgor's trademarks go together: similar marks on similar goods.

Marks are compared on their text once normalised: Unicode compatibility forms folded
(full-width letters become ordinary ones), case ignored, spaces and punctuation dropped.

- **Identical**: the same normalised text ("MoonLens", "MOON-LENS", "moon lens").
- **Similar**: the same distinctive part once descriptive additions are set aside
  ("MOONLENS", "MOONLENS PRO", "MoonLens Plus", "MOONLENSPRO"; "月光" and "月光牌").
  The descriptive additions are listed in `DESCRIPTIVE_WORDS` and `DESCRIPTIVE_AFFIXES`;
  any number counts as one, and so does a single letter standing apart ("MOONLENS 2",
  "MOONLENS X").
- **Possibly similar**: one distinctive part contains the other, of four characters or more,
  with an addition that is not descriptive ("MOONLENS" and "MOONLENSTAR"); the distinctive
  parts differ by one character, both of five or more ("MOONLENS" and "MOONLENZ"); or they
  read the same in pinyin without being the same text ("月光" and "YUEGUANG", "月光" and "悦光").

Goods are similar when the two marks share a group of the Similar Goods and Services
Classification; the same Nice class without a shared group is only possibly similar.

Identical or similar marks on similar goods must be pledged together (a refusal ground until
they are). Possibly similar marks on similar goods, and identical or similar marks in the same
class without a shared group, are held as a warning for the examiner, who decides.
"""

from __future__ import annotations

import enum
import re
import unicodedata

from pypinyin import lazy_pinyin

from services.registry.domain.register import Trademark

DESCRIPTIVE_WORDS = frozenset(
    {
        "pro", "plus", "max", "mini", "lite", "light", "air", "ultra", "neo", "go", "one",
        "prime", "se", "new", "smart", "classic", "premium", "original", "official", "series",
        "edition", "home", "kids", "tech", "brand", "global", "international", "china",
    }
)  # fmt: skip
DESCRIPTIVE_AFFIXES = (
    "牌", "专业", "新", "智能", "经典", "科技", "高级", "迷你", "官方", "旗舰", "系列"
)  # fmt: skip
_TOKEN = re.compile(r"[0-9]+|[^\W\d_]+", re.UNICODE)
_SHORTEST_CORE = 2
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


class Resemblance(enum.IntEnum):
    """How alike two marks are, from distinct to identical."""

    DISTINCT = 0
    POSSIBLY_SIMILAR = 1
    SIMILAR = 2
    IDENTICAL = 3


class GoodsLikeness(enum.IntEnum):
    """How alike the goods or services of two marks are."""

    UNRELATED = 0
    SAME_CLASS = 1
    SHARED_GROUP = 2


class Togetherness(enum.Enum):
    """Whether two marks of one owner must be pledged together."""

    REQUIRED = "required"
    FOR_THE_EXAMINER = "for_the_examiner"
    NOT_REQUIRED = "not_required"


def normalised(text: str) -> str:
    """The text folded to compatibility forms and lower case, without spaces or punctuation."""
    return "".join(_tokens(text))


def distinctive(text: str) -> str:
    """The normalised text without its descriptive additions ('' if it is all descriptive)."""
    return "".join(_strip_affixes(t) for t in _tokens(text) if not _descriptive(t))


def resemblance(first: str, second: str) -> Resemblance:
    """How alike the texts of two marks are."""
    key_a, key_b = normalised(first), normalised(second)
    if not key_a or not key_b:
        return Resemblance.DISTINCT
    if key_a == key_b:
        return Resemblance.IDENTICAL
    core_a, core_b = distinctive(first) or key_a, distinctive(second) or key_b
    if core_a == core_b or _with_descriptive_addition(key_a, core_b):
        return Resemblance.SIMILAR
    if _with_descriptive_addition(key_b, core_a):
        return Resemblance.SIMILAR
    if _contains(core_a, core_b) or _one_apart(core_a, core_b) or _same_reading(core_a, core_b):
        return Resemblance.POSSIBLY_SIMILAR
    return Resemblance.DISTINCT


def goods_likeness(mark: Trademark, other: Trademark) -> GoodsLikeness:
    """Whether two marks share a similar-goods group, or only a Nice class."""
    if set(mark.goods) & set(other.goods):
        return GoodsLikeness.SHARED_GROUP
    if mark.nice_class == other.nice_class:
        return GoodsLikeness.SAME_CLASS
    return GoodsLikeness.UNRELATED


def togetherness(mark: Trademark, other: Trademark) -> Togetherness:
    """Whether `other` must be pledged with `mark`, may have to be, or need not be."""
    alike = resemblance(mark.mark, other.mark)
    goods = goods_likeness(mark, other)
    if alike >= Resemblance.SIMILAR and goods is GoodsLikeness.SHARED_GROUP:
        return Togetherness.REQUIRED
    if alike >= Resemblance.SIMILAR and goods is GoodsLikeness.SAME_CLASS:
        return Togetherness.FOR_THE_EXAMINER
    if alike is Resemblance.POSSIBLY_SIMILAR and goods is GoodsLikeness.SHARED_GROUP:
        return Togetherness.FOR_THE_EXAMINER
    return Togetherness.NOT_REQUIRED


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).casefold())


def _descriptive(token: str) -> bool:
    return _descriptive_word(token) or (len(token) == 1 and token.isascii())


def _descriptive_word(text: str) -> bool:
    return text.isdigit() or text in DESCRIPTIVE_WORDS or text in DESCRIPTIVE_AFFIXES


def _strip_affixes(token: str) -> str:
    for affix in DESCRIPTIVE_AFFIXES:
        if token.endswith(affix) and len(token) - len(affix) >= _SHORTEST_CORE:
            token = token[: -len(affix)]
        if token.startswith(affix) and len(token) - len(affix) >= _SHORTEST_CORE:
            token = token[len(affix) :]
    return token


def _with_descriptive_addition(key: str, core: str) -> bool:
    if not core or core == key:
        return False
    if key.startswith(core):
        return _descriptive_word(key[len(core) :])
    if key.endswith(core):
        return _descriptive_word(key[: -len(core)])
    return False


def _contains(a: str, b: str) -> bool:
    shorter, longer = sorted((a, b), key=len)
    return len(shorter) >= 4 and shorter in longer


def _one_apart(a: str, b: str) -> bool:
    if min(len(a), len(b)) < 5 or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    shorter, longer = sorted((a, b), key=len)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


def _same_reading(a: str, b: str) -> bool:
    if not (_CJK.search(a) or _CJK.search(b)):
        return False
    return _reading(a) == _reading(b)


def _reading(text: str) -> str:
    return "".join(lazy_pinyin(text)).casefold()
