# The Reservoir app image: the API (`reservoir serve`), workers (`reservoir worker`) and the
# scheduler (`reservoir scheduler`) run from it; compose.yaml wires them to PostgreSQL, Redis
# and Qdrant. CPU-only torch from the PyTorch CPU index (the default wheel bundles CUDA).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    TOKENIZERS_PARALLELISM=false \
    RESERVOIR_DATA_DIR=/data

# tzdata: RESERVOIR_SCHEDULE_CRON is read in the container's local time (TZ).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tzdata \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, in a layer that survives source edits: a stub package pulls them in.
COPY pyproject.toml constraints.txt README.md ./
RUN mkdir reservoir && touch reservoir/__init__.py \
 && pip install --extra-index-url https://download.pytorch.org/whl/cpu -c constraints.txt \
        "torch==2.13.0" . \
 && pip uninstall -y reservoir \
 && rm -rf reservoir build

COPY reservoir ./reservoir
RUN pip install --no-deps . && rm -rf build

RUN useradd --create-home --uid 1000 reservoir \
 && mkdir -p /data && chown reservoir:reservoir /data
USER reservoir
VOLUME ["/data"]
EXPOSE 8000

CMD ["reservoir", "serve", "--host", "0.0.0.0", "--port", "8000"]
