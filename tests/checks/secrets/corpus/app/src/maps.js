const key = "AIzam3iRSbY1VuZbE8g-3m1LQJ5ds8SX1tkexTT";
