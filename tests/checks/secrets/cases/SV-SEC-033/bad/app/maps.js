const key = "AIzaZYLMTg26A-HHYJWtgUyr4plfyy-UnaTEPPI";
