# The sample app, built from this workspace. Used by docker-compose.yml.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY libs/valkey-queue/package.json libs/valkey-queue/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/libs/valkey-queue/package.json libs/valkey-queue/package.json
COPY --from=build /app/libs/valkey-queue/dist libs/valkey-queue/dist
COPY --from=build /app/dist dist
EXPOSE 3000
USER node
CMD ["node", "dist/apps/sample/main.js"]
