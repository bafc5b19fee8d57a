from shared.serve import serve

serve("credit")
