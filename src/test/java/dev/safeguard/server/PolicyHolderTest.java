package dev.safeguard.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.safeguard.config.SafeguardConfig;
import dev.safeguard.metrics.SafeguardMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.runtime.configuration.DurationConverter;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.runtime.configuration.MemorySizeConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.NotificationOptions;
import jakarta.enterprise.util.TypeLiteral;
import java.lang.annotation.Annotation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A policy edit whose params do not fit the rule is a failed reload: the last good policy keeps serving. */
class PolicyHolderTest {

    @TempDir
    Path dir;

    /** Collects what the holder fires. */
    static final class Fired implements Event<PolicyHolder.Changed> {
        final List<PolicyHolder.Changed> events = new ArrayList<>();

        @Override
        public void fire(PolicyHolder.Changed event) {
            events.add(event);
        }

        @Override
        public <U extends PolicyHolder.Changed> CompletionStage<U> fireAsync(U event) {
            throw new UnsupportedOperationException("the holder fires synchronously");
        }

        @Override
        public <U extends PolicyHolder.Changed> CompletionStage<U> fireAsync(U event, NotificationOptions options) {
            throw new UnsupportedOperationException("the holder fires synchronously");
        }

        @Override
        public Event<PolicyHolder.Changed> select(Annotation... qualifiers) {
            return this;
        }

        @Override
        public <U extends PolicyHolder.Changed> Event<U> select(Class<U> subtype, Annotation... qualifiers) {
            throw new UnsupportedOperationException();
        }

        @Override
        public <U extends PolicyHolder.Changed> Event<U> select(TypeLiteral<U> subtype, Annotation... qualifiers) {
            throw new UnsupportedOperationException();
        }
    }

    static final String POLICY = """
            apiVersion: safeguard.dev/v1alpha1
            kind: SafeguardPolicy
            metadata: {name: platform}
            spec:
              rules:
                - id: added-capabilities
                  params: {allowed: %s}
            """;

    @Test
    void aMistypedParamKeepsTheLastGoodPolicyServing() throws Exception {
        Path file = Files.writeString(dir.resolve("policy.yaml"), POLICY.formatted("[NET_BIND_SERVICE]"));
        SafeguardConfig config = new SmallRyeConfigBuilder().withMapping(SafeguardConfig.class)
                .withConverter(Duration.class, 200, new DurationConverter())
                .withConverter(MemorySize.class, 200, new MemorySizeConverter())
                .withSources(new PropertiesConfigSource(Map.of("safeguard.policy.path", file.toString(),
                        "safeguard.policy.check-interval", "1h"), "test", 500))
                .build().getConfigMapping(SafeguardConfig.class);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Fired fired = new Fired();
        PolicyHolder holder = new PolicyHolder(new SafeguardMetrics(registry, true, 500), config, fired);
        try {
            String good = holder.current().version();
            assertThat(holder.current().rules().find("added-capabilities").orElseThrow().params())
                    .containsEntry("allowed", List.of("NET_BIND_SERVICE"));

            replace(file, POLICY.formatted("NET_BIND_SERVICE"));
            assertThat(holder.reload()).isFalse(); // refused, whether this call or the directory watch read it

            assertThat(holder.current().version()).isEqualTo(good);
            assertThat(registry.get("safeguard.policy.reloads").tag("result", "failure").counter().count()).isEqualTo(1);
            assertThat(fired.events).isEmpty();

            replace(file, POLICY.formatted("[NET_BIND_SERVICE, CHOWN]"));
            holder.reload(); // (or the directory watch got there first: either way it is installed once)
            assertThat(holder.current().version()).isNotEqualTo(good);
            assertThat(fired.events).singleElement().satisfies(changed ->
                    assertThat(changed.policy().version()).isEqualTo(holder.current().version()));
        } finally {
            holder.stop(null);
        }
    }

    /**
     * Replaces the file in one step, as a ConfigMap update does (a symlink swap): written in place, the directory
     * watch could read it half-written and count a second, different failure.
     */
    private static void replace(Path file, String content) throws java.io.IOException {
        Path partial = Files.writeString(file.resolveSibling(file.getFileName() + ".partial"), content);
        Files.move(partial, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
}
