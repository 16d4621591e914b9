# One image for every service: api, worker, scheduler (docker-compose.yml picks the command).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY ehsj_core ./ehsj_core
COPY services ./services
COPY contracts ./contracts
RUN pip install --no-cache-dir .
RUN useradd --create-home ehsj && mkdir -p /app/var && chown ehsj /app/var
USER ehsj
EXPOSE 8000
CMD ["ehsj", "serve", "--host", "0.0.0.0", "--port", "8000"]
