TOKEN = "sq0atp-short"
