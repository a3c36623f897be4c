"""The default gate: one test per criterion of DESIGN §7, configured by gate.toml."""
