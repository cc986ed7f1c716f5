# Vigil's container: runs unchanged on Cloud Run (which sets PORT) and on any host.
#
#   docker build -t vigil .
#   docker run -p 8080:8080 -e VIGIL_BACKEND=postgresql://... vigil
#
# The CMD is the production command `python app.py serve` runs and the tests run
# (tests/test_dockerfile.py checks they are the same). On SIGTERM gunicorn closes
# the websockets with 1001 and exits within its 8 s graceful timeout, under
# Cloud Run's 10 s.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8080

WORKDIR /app

# Runtime dependencies only (requirements.txt), in their own layer.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt \
    && useradd --system --uid 10001 --user-group --create-home --home-dir /home/vigil vigil

# The code stays root's (read-only to the server); only instance/ (the default
# SQLite store) is the server's to write.
COPY . .
RUN mkdir -p instance && chown 10001:10001 instance

USER 10001:10001
EXPOSE 8080
STOPSIGNAL SIGTERM
CMD ["python", "-m", "gunicorn", "--config", "gunicorn.conf.py", "app:server"]
