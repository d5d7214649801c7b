# The Iceberg REST catalog image: Apache Iceberg's RESTCatalogServer with the same Maven classpath
# (infra/iceberg-rest/pom.xml) `make setup` resolves for the local stack. Used by sst.config.ts.
#   docker build -f infra/catalog.Dockerfile -t dougpt-catalog infra/iceberg-rest
# It reads CATALOG_* variables as catalog properties ('__' → '-', '_' → '.'); S3FileIO takes AWS_*.
FROM maven:3.9-eclipse-temurin-21 AS deps
WORKDIR /build
COPY pom.xml ./
RUN mvn -q -B dependency:copy-dependencies -DoutputDirectory=/build/lib

FROM eclipse-temurin:21-jre
COPY --from=deps /build/lib /opt/catalog/lib
ENV CATALOG_JDBC_SCHEMA__VERSION=V1 CATALOG_IO__IMPL=org.apache.iceberg.aws.s3.S3FileIO CATALOG_REST_PORT=8181
EXPOSE 8181
ENTRYPOINT ["java", "-Xmx512m", "-cp", "/opt/catalog/lib/*", "org.apache.iceberg.rest.RESTCatalogServer"]
