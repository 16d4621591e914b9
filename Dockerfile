# One image for every service: api, worker, scheduler (docker-compose.yml picks the command).
# Build stage: the wheel of this project. Final stage: the locked dependencies (hash-checked, one
# cached layer that changes only with requirements/run.lock), then the wheel alone (--no-deps).
FROM python:3.11.14-slim-bookworm AS wheel
WORKDIR /src
COPY pyproject.toml README.md ./
COPY contracts ./contracts
COPY ehsj_core ./ehsj_core
COPY services ./services
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11.14-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH EHSJ_DATA_DIR=/var/lib/ehsj EHSJ_SECRETS_DIR=/run/secrets
# WeasyPrint (the PDF documents) needs Pango and HarfBuzz; the PDFs embed DejaVu Sans.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
COPY requirements/run.lock /tmp/run.lock
RUN pip install --no-cache-dir --require-hashes -r /tmp/run.lock && rm /tmp/run.lock
COPY --from=wheel /wheels /tmp/wheels
RUN pip install --no-cache-dir --no-deps /tmp/wheels/*.whl && rm -r /tmp/wheels
RUN useradd --system --uid 10001 --create-home --home-dir /home/ehsj ehsj \
    && mkdir -p /var/lib/ehsj && chown ehsj:ehsj /var/lib/ehsj
USER ehsj
WORKDIR /home/ehsj
EXPOSE 8000
CMD ["uvicorn", "--factory", "services.api.app:create_app", "--host", "0.0.0.0", "--port", "8000"]
