stripe("sk_live_SievertFake1pWKDPTSjeo3S")
