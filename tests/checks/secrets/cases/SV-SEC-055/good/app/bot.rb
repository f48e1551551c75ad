TOKEN = "123:AAshort"
