const t = "pk.eyJ1IjoiZm9vIn0.abc";
