HF_TOKEN = "hf_SievertFakesWNWytpFspUxwPNUBOrFACQ"
