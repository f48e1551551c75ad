FROM python:3.12 AS build
# expect
FROM node:latest
