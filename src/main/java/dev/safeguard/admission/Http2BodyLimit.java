package dev.safeguard.admission;

import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Refuses an HTTP/2 request whose Content-Length is over {@code quarkus.http.limits.max-body-size} with a 413
 * on its own stream. Quarkus answers such a request with 413 plus "Connection: close" and then closes the
 * connection: right for HTTP/1.1, but on HTTP/2 closing the connection is a GOAWAY that also ends every other
 * review multiplexed on it (the API server talks HTTP/2 to webhooks, and always sends a Content-Length). This
 * route runs first, on HTTP/2 only, answers 413 and leaves the connection open; HTTP/1.1 keeps Quarkus'
 * behaviour. A body streamed over HTTP/2 without a Content-Length is still cut off by Quarkus' own limit,
 * which ends the connection.
 */
@ApplicationScoped
public class Http2BodyLimit {

    void install(@Observes Router router,
            @ConfigProperty(name = "quarkus.http.limits.max-body-size") MemorySize maxBodySize) {
        long limit = maxBodySize.asLongValue();
        // Observers run before Quarkus adds its own body-size route with the same (lowest) order, so this is first.
        router.route().order(Integer.MIN_VALUE).handler(context -> {
            HttpServerRequest request = context.request();
            long length = request.version() == HttpVersion.HTTP_2
                    ? contentLength(request.getHeader(HttpHeaders.CONTENT_LENGTH)) : -1;
            if (length > limit) {
                context.response().setStatusCode(413)
                        .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8")
                        .end("kube-safeguard: the request body of " + length + " bytes is over the limit of " + limit
                                + " bytes (quarkus.http.limits.max-body-size)\n");
                return;
            }
            context.next();
        });
    }

    private static long contentLength(String header) {
        if (header == null) {
            return -1;
        }
        try {
            return Long.parseLong(header.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
