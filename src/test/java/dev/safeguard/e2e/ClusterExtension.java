package dev.safeguard.e2e;

import java.lang.reflect.InvocationTargetException;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Starts the test class's {@link OnCluster} provider once per test run (kept in the root store, stopped when
 * the run ends) and hands it to {@code @BeforeAll}/test methods that take a {@link KubeCluster} parameter.
 *
 * <p>A provider that cannot run here (no binaries, no Docker) disables the class with a reason that says why
 * and what to do: the class is reported as skipped with that reason, and printed to stderr, never counted
 * as passed. Conditions are evaluated before any other extension runs, so a skipped class does not even
 * launch the webhook.
 */
public class ClusterExtension implements ExecutionCondition, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(ClusterExtension.class);

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        Started started = started(context);
        if (started.unavailable().isPresent()) {
            String reason = started.unavailable().get();
            if (context.getTestMethod().isEmpty()) {
                System.err.printf("%n*** SKIPPED %s: %s%n%n", context.getRequiredTestClass().getSimpleName(), reason);
            }
            return ConditionEvaluationResult.disabled(reason);
        }
        if (context.getTestMethod().isEmpty()) {
            // Before @QuarkusIntegrationTest launches the webhook: E2EWebhook points its informers here.
            E2EWebhook.writeKubeconfig(started.cluster().kubeConfigYaml());
        }
        return ConditionEvaluationResult.enabled("running on " + started.cluster().name());
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == KubeCluster.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return started(context).cluster();
    }

    /** The provider of the class, started on first use (or found unavailable) and shared by the whole run. */
    private static Started started(ExtensionContext context) {
        Class<? extends KubeCluster> type = AnnotationSupport.findAnnotation(context.getRequiredTestClass(), OnCluster.class)
                .orElseThrow(() -> new IllegalStateException(context.getRequiredTestClass() + " has no @OnCluster"))
                .value();
        return context.getRoot().getStore(NAMESPACE).computeIfAbsent(type, ClusterExtension::start, Started.class);
    }

    private static Started start(Class<? extends KubeCluster> type) {
        KubeCluster cluster;
        try {
            cluster = type.getDeclaredConstructor().newInstance();
        } catch (InstantiationException | IllegalAccessException | NoSuchMethodException e) {
            throw new IllegalStateException(e);
        } catch (InvocationTargetException e) {
            throw new IllegalStateException(e.getCause());
        }
        Optional<String> unavailable = cluster.unavailable();
        if (unavailable.isEmpty()) {
            long started = System.nanoTime();
            cluster.start();
            System.out.printf("[e2e] %s ready in %.1f s%n", cluster.name(),
                    Duration.ofNanos(System.nanoTime() - started).toMillis() / 1000.0);
        }
        return new Started(cluster, unavailable);
    }

    /** A started (or unavailable) provider; closed by JUnit when the root context closes at the end of the run. */
    private record Started(KubeCluster cluster, Optional<String> unavailable) implements AutoCloseable {
        @Override
        public void close() {
            if (unavailable.isEmpty()) {
                cluster.close();
            }
        }
    }
}
