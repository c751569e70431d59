# Recurrent: the training service and its page.
#   docker build -t recurrent .
#   docker run -p 8080:8080 -v recurrent-data:/data recurrent
# Every step below is a script that CI also runs natively (.ci/run).

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
USER recurrent
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/api/health || exit 1
ENTRYPOINT ["/app/recurrent"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080", "--database", "/data/recurrent.sqlite"]
