const key = "AIzaShort";
