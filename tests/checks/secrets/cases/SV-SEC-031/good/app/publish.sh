twine upload -p pypi-token
