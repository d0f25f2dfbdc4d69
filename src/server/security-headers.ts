// Security headers for every response. Bull Board's page uses inline styles (React style
// attributes and a <style> block) but no inline script (its config is a JSON data block), so
// scripts stay 'self' only and styles allow 'unsafe-inline'. External fonts are not allowed: the UI
// falls back to system fonts and the browser makes no third-party request.
// upgrade-insecure-requests and HSTS are left off: flinkops is often served over plain HTTP on
// loopback or behind a TLS-terminating proxy, and either header would break that.
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

export async function securityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
      },
    },
    strictTransportSecurity: false,
    crossOriginEmbedderPolicy: false,
  });
}
