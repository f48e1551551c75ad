TOKEN = "xoxb-not-a-token"
