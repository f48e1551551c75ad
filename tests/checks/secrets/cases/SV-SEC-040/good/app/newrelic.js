license: 'NRAK-'
