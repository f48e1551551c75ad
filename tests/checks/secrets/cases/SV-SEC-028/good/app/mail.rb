KEY = "SG.short.key"
