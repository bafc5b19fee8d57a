from shared.serve import serve

serve("valuation")
