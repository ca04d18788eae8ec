package dev.safeguard.admission;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The webhook as an attacker meets it: enforce mode, a custom rule that is deliberately slow on a large
 * annotation, a short deadline (1.5 s), three workers, and a small bound on namespace label values.
 */
public class HostileInputProfile implements QuarkusTestProfile {

    /**
     * A custom rule that is deliberately slow (quadratic string work) on a large safeguard.test/slow annotation:
     * one item of a policy's customRules list, as written under {@code customRules:}.
     */
    public static final String SLOW_ANNOTATION_RULE = """
                - id: slow-annotation
                  title: Deliberately slow on a large annotation (quadratic string work)
                  category: hygiene
                  action: deny
                  match: {kinds: [Deployment]}
                  validation: >-
                    !has(object.metadata.annotations) || !('safeguard.test/slow' in object.metadata.annotations) ||
                    object.metadata.annotations['safeguard.test/slow'].split('').all(c,
                      object.metadata.annotations['safeguard.test/slow'].indexOf(c + 'b') < 0)
                  message: "'never'"
            """;

    static final Path POLICY = Path.of("target", "hostile-input", "policy.yaml").toAbsolutePath();
    static final String SLOW_ANNOTATION = "safeguard.test/slow";
    static final int MAX_NAMESPACES = 20;
    static final long DEADLINE_MILLIS = 1500;

    static final String POLICY_TEXT = """
            apiVersion: safeguard.dev/v1alpha1
            kind: SafeguardPolicy
            metadata: {name: hostile}
            spec:
              mode: enforce
              customRules:
            """ + SLOW_ANNOTATION_RULE + echoRules(15);

    static final String ECHO_ANNOTATION = "safeguard.test/echo";

    /** Rules whose message echoes an annotation: many long findings for one object. */
    private static String echoRules(int count) {
        StringBuilder rules = new StringBuilder();
        for (int i = 1; i <= count; i++) {
            rules.append("""
                        - id: echo-%d
                          title: Echoes an annotation in its message
                          category: hygiene
                          action: deny
                          match: {kinds: [Pod]}
                          validation: "!has(object.metadata.annotations) || !('safeguard.test/echo' in object.metadata.annotations)"
                          message: "'echo: ' + object.metadata.annotations['safeguard.test/echo']"
                    """.formatted(i));
        }
        return rules.toString();
    }

    @Override
    public Map<String, String> getConfigOverrides() {
        try {
            Files.createDirectories(POLICY.getParent());
            Files.writeString(POLICY, POLICY_TEXT);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.of("safeguard.policy.path", POLICY.toString(),
                "safeguard.admission.deadline", DEADLINE_MILLIS + "ms",
                "safeguard.admission.workers", "3",
                "safeguard.metrics.max-namespaces", Integer.toString(MAX_NAMESPACES));
    }
}
