# The forum web server. Build: docker build -t cso-forum .
# Configuration is by FORUM_* environment variables (see forum/config.py and docker-compose.yml).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# Installed as root into the image's Python, then run as an unprivileged user that
# cannot modify the installed code. Its home is the data directory (used only when no
# FORUM_DATABASE_URL is given: the embedded PostgreSQL and a generated secret live there).
RUN groupadd --system --gid 10001 forum \
 && useradd --system --uid 10001 --gid forum --home-dir /var/lib/forum --create-home \
        --shell /usr/sbin/nologin forum

WORKDIR /tmp/src
COPY . .
RUN pip install . && cd / && rm -rf /tmp/src

ENV FORUM_DATA_DIR=/var/lib/forum \
    WORKERS=4
WORKDIR /var/lib/forum
USER forum:forum

EXPOSE 8000
# `exec` so that the server, not the shell, receives SIGTERM and shuts down gracefully.
CMD ["sh", "-c", "exec forum serve --host 0.0.0.0 --port 8000 --workers \"${WORKERS}\""]
