TOKEN = "sq0atp-SievertFake14oUsSHGciF"
