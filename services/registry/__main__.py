from shared.serve import serve

serve("registry")
