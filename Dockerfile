# Recurrent: the training service and its page.
#   docker build -t recurrent .
#   docker run -p 8080:8080 -v recurrent-data:/data -e RECURRENT_API_TOKEN=... recurrent
# Configure with RECURRENT_* variables (README, "Configuration").
# Every step below is checked natively by CI: scripts/check-release builds
# with the same script, checks that the runtime packages below provide every
# library the binary links, and runs the binary with this file's ENV, USER,
# CMD and HEALTHCHECK.

FROM swift:6.3-bookworm AS build
WORKDIR /src
COPY scripts/install-system-packages scripts/
RUN scripts/install-system-packages
COPY . .
RUN scripts/build-release /staging

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libsqlite3-0 libopenblas0-pthread libstdc++6 curl ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /data --no-create-home recurrent \
 && mkdir -p /data && chown recurrent:recurrent /data
COPY --from=build /staging /app
WORKDIR /app
ENV RECURRENT_HOST=0.0.0.0 \
    RECURRENT_PORT=8080 \
    RECURRENT_DATABASE=/data/recurrent.sqlite \
    RECURRENT_PUBLIC=/app/public \
    RECURRENT_SHUTDOWN_SECONDS=8
USER recurrent
VOLUME /data
EXPOSE 8080
# SIGTERM checkpoints every job within RECURRENT_SHUTDOWN_SECONDS, under
# `docker stop`'s default 10 s grace period.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/api/health || exit 1
ENTRYPOINT ["/app/recurrent"]
CMD ["serve"]
