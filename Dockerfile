# syntax=docker/dockerfile:1
# Hearth in a container, for a clinic whose mini-PC already runs Docker. The usual install is the
# single binary under systemd (docs/operations.md); this image runs the same code from source.
#
#   docker build -t hearth .
#   docker compose -f deploy/docker-compose.yml up -d
#
# Media (WebRTC) is UDP on HEARTH_RTC_PORTS: run with host networking, or publish that whole range
# and set HEARTH_RTC_ADDRESSES to the host's LAN address (see deploy/docker-compose.yml).

ARG BUN_VERSION=1.4.4

FROM oven/bun:${BUN_VERSION}-slim AS deps
WORKDIR /app
COPY package.json bun.lock bunfig.toml ./
# bun install applies the patches listed in package.json (patchedDependencies).
COPY patches ./patches
# Production dependencies only, exactly as locked. The one install script in the tree belongs to
# the `bun` npm package (it lets `npx bun install` work where only Node is installed); this image
# has its own Bun, so that package and its 100 MB platform binary are dropped.
RUN bun install --frozen-lockfile --production --ignore-scripts \
 && rm -rf node_modules/bun node_modules/@oven node_modules/.bin/bun node_modules/.bin/bunx

FROM oven/bun:${BUN_VERSION}-slim
WORKDIR /app
ENV NODE_ENV=production \
    HEARTH_DATA_DIR=/data \
    HEARTH_HOST=0.0.0.0 \
    HEARTH_PORT=8080 \
    HEARTH_RTC_PORTS=40000-40099
COPY --from=deps /app/node_modules ./node_modules
COPY package.json bunfig.toml ./
COPY src ./src
COPY web ./web
COPY deploy/healthcheck.ts ./deploy/healthcheck.ts
# The image's own user "bun" (uid 1000) runs Hearth; only /data is its to write.
RUN mkdir -p /data && chown bun:bun /data && chmod 0700 /data
USER bun
VOLUME ["/data"]
# Web app (HTTPS when HEARTH_TLS is auto or files) and the media range, both as configured above.
EXPOSE 8080/tcp
EXPOSE 40000-40099/udp
# No curl in the image: Bun itself asks /healthz on the container's own port.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["bun", "deploy/healthcheck.ts"]
STOPSIGNAL SIGTERM
# `docker run hearth setup-link`, `docker exec <c> bun src/main.ts backup --to /data/x.age`, ...
ENTRYPOINT ["bun", "src/main.ts"]
CMD ["serve"]
