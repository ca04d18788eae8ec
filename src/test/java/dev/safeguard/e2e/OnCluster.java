package dev.safeguard.e2e;

import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The cluster provider a test class runs against, started by {@link ClusterExtension}; the class is skipped,
 * with the provider's reason, where the provider cannot run.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@Inherited
@ExtendWith(ClusterExtension.class)
public @interface OnCluster {
    Class<? extends KubeCluster> value();
}
