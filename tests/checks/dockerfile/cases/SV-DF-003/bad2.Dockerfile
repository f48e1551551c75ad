FROM scratch AS s
# expect
FROM registry.example.com:5000/team/app:1.2
