package dev.safeguard.server;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/**
 * The training run of the {@code safeguard} launcher's class-data archive for {@code serve}: with
 * {@code -Dsafeguard.class-data-training=true} the server exits as soon as it has started (policy compiled, ports
 * bound), so that {@code -XX:ArchiveClassesAtExit} records every class a start loads, without a readiness probe.
 */
@ApplicationScoped
public class ClassDataTraining {

    public static final String PROPERTY = "safeguard.class-data-training";

    private static final Logger LOG = Logger.getLogger(ClassDataTraining.class);

    void onStart(@Observes @Priority(Integer.MAX_VALUE) StartupEvent event) {
        if (Boolean.getBoolean(PROPERTY)) {
            LOG.info("class-data training run: started, exiting");
            Quarkus.asyncExit(0);
        }
    }
}
