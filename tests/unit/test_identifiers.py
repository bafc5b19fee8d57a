import pytest

from shared.identifiers import (
    USCC_ALPHABET,
    InvalidIdentifier,
    PatentKind,
    PatentNumber,
    is_valid_uscc,
    make_uscc,
    normalize_uscc,
    parse_patent_number,
    parse_trademark_number,
    patent_check_digit,
    uscc_check_character,
)

REAL_USCCS = ["91330100716105852F", "91440300708461136T", "91350100M000100Y43"]


def _code(excinfo: pytest.ExceptionInfo[InvalidIdentifier]) -> str:
    return excinfo.value.code


def test_invalid_identifier_is_value_error_with_code_and_message() -> None:
    with pytest.raises(ValueError) as excinfo:
        normalize_uscc("123")
    assert isinstance(excinfo.value, InvalidIdentifier)
    assert excinfo.value.code == "uscc.length"
    assert str(excinfo.value) == excinfo.value.message


@pytest.mark.parametrize("code", REAL_USCCS)
def test_real_uscc_validates(code: str) -> None:
    assert normalize_uscc(code) == code
    assert is_valid_uscc(code)


def test_uscc_normalises_case_and_spaces() -> None:
    assert normalize_uscc(" 9133 0100 7161 0585 2f ") == "91330100716105852F"


def test_uscc_check_character_of_real_code() -> None:
    assert uscc_check_character("91330100716105852") == "F"
    assert uscc_check_character("91350100m000100y4") == "3"


def test_uscc_alphabet_excludes_ambiguous_letters() -> None:
    assert len(USCC_ALPHABET) == 31
    assert not set("IOZSV") & set(USCC_ALPHABET)


@pytest.mark.parametrize("value", ["", "9133010071610585", "91330100716105852F0"])
def test_uscc_wrong_length(value: str) -> None:
    with pytest.raises(InvalidIdentifier) as excinfo:
        normalize_uscc(value)
    assert _code(excinfo) == "uscc.length"


@pytest.mark.parametrize("bad", ["I", "O", "Z", "S", "V", "-"])
def test_uscc_bad_character(bad: str) -> None:
    with pytest.raises(InvalidIdentifier) as excinfo:
        normalize_uscc("9133010071610585" + bad + "F")
    assert _code(excinfo) == "uscc.charset"
    assert not is_valid_uscc("9133010071610585" + bad + "F")


def test_uscc_wrong_check_character() -> None:
    with pytest.raises(InvalidIdentifier) as excinfo:
        normalize_uscc("91330100716105852E")
    assert _code(excinfo) == "uscc.check_character"


def test_uscc_check_character_rejects_wrong_body_length() -> None:
    with pytest.raises(InvalidIdentifier) as excinfo:
        uscc_check_character("9133")
    assert _code(excinfo) == "uscc.length"


def test_make_uscc_is_deterministic_and_valid() -> None:
    codes = [make_uscc(seed) for seed in (0, 1, 42, 999_999_999)]
    assert codes == [make_uscc(seed) for seed in (0, 1, 42, 999_999_999)]
    assert len(set(codes)) == len(codes)
    assert all(normalize_uscc(code) == code for code in codes)
    assert make_uscc(123456789).startswith("91310000123456789")


@pytest.mark.parametrize("seed", [-1, 10**9])
def test_make_uscc_rejects_out_of_range_seed(seed: int) -> None:
    with pytest.raises(ValueError):
        make_uscc(seed)


def test_real_patent_example_check_digit_is_3() -> None:
    assert patent_check_digit("201710601862") == "3"


@pytest.mark.parametrize(
    "written",
    [
        "CN201710601862.3",
        "ZL201710601862.3",
        "201710601862.3",
        "2017106018623",
        "cn201710601862.3",
        "zl 2017 1 0601862.3",
        " ZL 201710601862 . 3 ",
        "CN2017106018623",
    ],
)
def test_patent_written_forms(written: str) -> None:
    number = parse_patent_number(written)
    assert number == PatentNumber(
        digits="201710601862",
        check="3",
        filing_year=2017,
        kind=PatentKind.INVENTION,
        pct=False,
    )
    assert number.canonical == "201710601862.3"
    assert str(number) == "201710601862.3"


@pytest.mark.parametrize(
    ("type_digit", "kind", "pct"),
    [
        ("1", PatentKind.INVENTION, False),
        ("2", PatentKind.UTILITY_MODEL, False),
        ("3", PatentKind.DESIGN, False),
        ("8", PatentKind.INVENTION, True),
        ("9", PatentKind.UTILITY_MODEL, True),
    ],
)
def test_patent_type_digits(type_digit: str, kind: PatentKind, pct: bool) -> None:
    digits = f"2021{type_digit}1234567"
    number = parse_patent_number(digits + patent_check_digit(digits))
    assert (number.kind, number.pct, number.filing_year) == (kind, pct, 2021)


def test_patent_check_digit_ten_is_written_x() -> None:
    assert patent_check_digit("202010000005") == "X"
    assert parse_patent_number("202010000005.x").canonical == "202010000005.X"


@pytest.mark.parametrize(
    ("written", "year", "kind", "pct"),
    [
        ("85100001.0", 1985, PatentKind.INVENTION, False),
        ("ZL02100001.8", 2002, PatentKind.INVENTION, False),
        ("988000016", 1998, PatentKind.INVENTION, True),
        ("93100005.X", 1993, PatentKind.INVENTION, False),
    ],
)
def test_legacy_eight_digit_patent_numbers(
    written: str, year: int, kind: PatentKind, pct: bool
) -> None:
    number = parse_patent_number(written)
    assert (number.filing_year, number.kind, number.pct) == (year, kind, pct)
    assert len(number.digits) == 8
    assert number.canonical == number.digits + "." + number.check


def test_legacy_check_digit_uses_weights_two_to_nine() -> None:
    total = sum(int(d) * w for d, w in zip("98800001", range(2, 10), strict=True))
    assert patent_check_digit("98800001") == str(total % 11)


@pytest.mark.parametrize(
    "written",
    ["", "201710601862", "20171060186.3", "2017106018623.3", "CN107123456A", "US201710601862.3"],
)
def test_patent_bad_format(written: str) -> None:
    with pytest.raises(InvalidIdentifier) as excinfo:
        parse_patent_number(written)
    assert _code(excinfo) == "patent_number.format"


@pytest.mark.parametrize("type_digit", ["0", "4", "5", "6", "7"])
def test_patent_unknown_type_digit(type_digit: str) -> None:
    digits = f"2017{type_digit}0601862"
    with pytest.raises(InvalidIdentifier) as excinfo:
        parse_patent_number(digits + patent_check_digit(digits))
    assert _code(excinfo) == "patent_number.type"


def test_patent_wrong_check_digit() -> None:
    with pytest.raises(InvalidIdentifier) as excinfo:
        parse_patent_number("CN201710601862.4")
    assert _code(excinfo) == "patent_number.check_digit"


@pytest.mark.parametrize("digits", ["199910601862", "04100001", "84100001"])
def test_patent_year_out_of_scheme_range(digits: str) -> None:
    with pytest.raises(InvalidIdentifier) as excinfo:
        parse_patent_number(digits + patent_check_digit(digits))
    assert _code(excinfo) == "patent_number.year"


@pytest.mark.parametrize("digits", ["2017", "2017106018621", "20171060186a"])
def test_patent_check_digit_rejects_bad_input(digits: str) -> None:
    with pytest.raises(InvalidIdentifier) as excinfo:
        patent_check_digit(digits)
    assert _code(excinfo) == "patent_number.format"


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("12345678", "12345678"),
        ("TM12345678", "12345678"),
        ("tm 1234 5678", "12345678"),
        ("7", "7"),
        ("第 12345678 号", "12345678"),
        ("00012345", "12345"),
    ],
)
def test_trademark_numbers(written: str, canonical: str) -> None:
    assert parse_trademark_number(written) == canonical


@pytest.mark.parametrize(
    "written", ["", "TM", "123456789", "12A45", "0", "-1", "\uff11\uff12\uff13"]
)
def test_trademark_bad_format(written: str) -> None:
    with pytest.raises(InvalidIdentifier) as excinfo:
        parse_trademark_number(written)
    assert _code(excinfo) == "trademark_number.format"
