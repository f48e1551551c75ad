TOKEN = 'shpat_'
