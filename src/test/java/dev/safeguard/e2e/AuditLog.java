package dev.safeguard.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The API server's audit log (JSON lines, audit.k8s.io/v1 Events), as far as the e2e scenarios read it. */
final class AuditLog {

    private static final ObjectMapper JSON = new ObjectMapper();

    private AuditLog() {
    }

    /** One completed request: who sent it, to which resource, and the HTTP status it was answered with. */
    record Entry(String verb, String username, String resource, String namespace, String name, int code) {
    }

    /** The completed {@code create}s of {@code resource} (plural, "pods") in {@code namespace} that succeeded (201). */
    static List<Entry> creates(Path log, String resource, String namespace) {
        return entries(log).stream()
                .filter(e -> e.verb().equals("create") && e.resource().equals(resource) && e.namespace().equals(namespace)
                        && e.code() == 201)
                .toList();
    }

    static List<Entry> entries(Path log) {
        if (!Files.exists(log)) {
            return List.of();
        }
        try (var lines = Files.lines(log)) {
            return lines.filter(line -> !line.isBlank()).map(AuditLog::parse)
                    .filter(event -> event.path("stage").asText().equals("ResponseComplete"))
                    .map(event -> new Entry(event.path("verb").asText(), event.path("user").path("username").asText(),
                            event.path("objectRef").path("resource").asText(), event.path("objectRef").path("namespace").asText(),
                            event.path("objectRef").path("name").asText(), event.path("responseStatus").path("code").asInt()))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode parse(String line) {
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            // The line being written right now.
            return JSON.createObjectNode();
        }
    }
}
