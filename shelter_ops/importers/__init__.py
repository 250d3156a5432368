"""Open-data importers: GSI 指定避難所 / 指定緊急避難場所 and the Digital Agency emergency-site list."""
