FROM python:3.12 AS build
FROM build
