# Multi-stage build for any platform host:
#   docker build -f infra/docker/service.Dockerfile --build-arg PROJECT=services/Gateway/Platform.Services.Gateway.csproj \
#                --build-arg ASSEMBLY=Platform.Services.Gateway .
# docker-compose.yml builds every service this way.
ARG DOTNET_VERSION=10.0

FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
ARG PROJECT
WORKDIR /src
# Restore first, from the project files only, so the layer is reused while only code changes.
COPY Directory.Build.props Directory.Packages.props global.json Platform.sln ./
COPY src/ src/
COPY services/ services/
COPY web/ web/
RUN dotnet restore "${PROJECT}"
RUN dotnet publish "${PROJECT}" -c Release --no-restore -o /app /p:UseArtifactsOutput=false

FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION} AS runtime
ARG ASSEMBLY
# curl serves the container health check; libgomp1 is LibTorch's OpenMP runtime.
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl libgomp1 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app ./
ENV ASSEMBLY=${ASSEMBLY} \
    DOTNET_NOLOGO=1 \
    Platform__ModelsDir=/models \
    Platform__DataDir=/data
USER $APP_UID
ENTRYPOINT ["sh", "-c", "exec dotnet \"/app/${ASSEMBLY}.dll\""]
