# Image for docker-compose.yml: Debian with gettext and a CJK TrueType font (PDF certificates).
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends gettext fonts-wqy-zenhei \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN useradd --create-home archives && mkdir -p /data/media && chown -R archives /app /data
USER archives
EXPOSE 8000
