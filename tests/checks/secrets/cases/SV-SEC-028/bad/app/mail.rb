KEY = "SG.SievertFakenZ9RRawUxrh.SievertFakeeYiAo15EgbhCD8TdaSdRXgrFJuz9YlNa"
