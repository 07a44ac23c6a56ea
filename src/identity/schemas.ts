import { t } from "elysia";

/** WebAuthn responses as @simplewebauthn/browser sends them, bounded so nothing huge is parsed. */
const b64url = (maxLength: number) => t.String({ pattern: "^[A-Za-z0-9_-]*={0,2}$", maxLength });

export const AssertionSchema = t.Object({
  id: b64url(1400),
  rawId: b64url(1400),
  type: t.Literal("public-key"),
  response: t.Object({
    clientDataJSON: b64url(8000),
    authenticatorData: b64url(8000),
    signature: b64url(2000),
    userHandle: t.Optional(b64url(200)),
  }),
  clientExtensionResults: t.Record(t.String(), t.Unknown()),
  authenticatorAttachment: t.Optional(t.String({ maxLength: 40 })),
});

export const AttestationSchema = t.Object({
  id: b64url(1400),
  rawId: b64url(1400),
  type: t.Literal("public-key"),
  response: t.Object({
    clientDataJSON: b64url(8000),
    attestationObject: b64url(30000),
    transports: t.Optional(t.Array(t.String({ maxLength: 20 }), { maxItems: 10 })),
    publicKeyAlgorithm: t.Optional(t.Number()),
    publicKey: t.Optional(b64url(4000)),
    authenticatorData: t.Optional(b64url(8000)),
  }),
  clientExtensionResults: t.Record(t.String(), t.Unknown()),
  authenticatorAttachment: t.Optional(t.String({ maxLength: 40 })),
});

export const DisplayName = t.String({ minLength: 1, maxLength: 80 });
export const PasskeyName = t.String({ minLength: 1, maxLength: 60 });
export const Next = t.Optional(t.String({ maxLength: 300 }));
