package dev.safeguard.admission;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * Runs the webhook with a policy file mounted the way Kubernetes mounts a ConfigMap: policy.yaml is a
 * symlink into ..data, itself a symlink to a timestamped directory that an update swaps atomically.
 */
public class PolicyFileProfile implements QuarkusTestProfile {

    static final Path MOUNT = Path.of("target", "policy-mount").toAbsolutePath();
    static final Path FILE = MOUNT.resolve("policy.yaml");

    static final String AUDIT_POLICY = """
            apiVersion: safeguard.dev/v1alpha1
            kind: SafeguardPolicy
            metadata: {name: rollout}
            spec:
              mode: audit
              rules:
                - id: liveness-probe
                  action: off
              customRules:
                - id: strategy-declared
                  title: Deployments declare their strategy type
                  category: reliability
                  action: warn
                  match: {kinds: [Deployment]}
                  # Deliberately unguarded: errors at runtime on objects without spec.strategy.
                  validation: "object.spec.strategy.type != ''"
                  message: "'declare spec.strategy.type'"
              exclude:
                namespaces: [sandbox]
            """;

    static final String ENFORCE_POLICY = AUDIT_POLICY.replace("mode: audit", "mode: enforce")
            .replace("metadata: {name: rollout}", "metadata: {name: enforced}");

    @Override
    public Map<String, String> getConfigOverrides() {
        mount(AUDIT_POLICY, 1);
        return Map.of("safeguard.policy.path", FILE.toString(),
                "safeguard.policy.check-interval", "200ms");
    }

    /** Writes a new version of the policy and swaps it in with the ConfigMap symlink dance. */
    static void mount(String policy, int generation) {
        try {
            Files.createDirectories(MOUNT);
            Path version = MOUNT.resolve("..v" + generation);
            Files.createDirectories(version);
            Files.writeString(version.resolve("policy.yaml"), policy);
            Path temporary = MOUNT.resolve("..data_tmp");
            Files.deleteIfExists(temporary);
            Files.createSymbolicLink(temporary, version.getFileName());
            Files.move(temporary, MOUNT.resolve("..data"), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
            if (!Files.isSymbolicLink(FILE)) {
                Files.deleteIfExists(FILE);
                Files.createSymbolicLink(FILE, Path.of("..data", "policy.yaml"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
