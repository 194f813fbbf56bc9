#!/usr/bin/env node
// An independent producer of cosign 3 image signatures for the integration tests: sigstore-js
// (@sigstore/sign's DSSEBundleBuilder, @sigstore/bundle's serializer) wraps an in-toto statement
// in a DSSE envelope signed with a local key, as `cosign sign --key` (v3, new bundle format) does.
// Signing is Node's own crypto; nothing here shares code with the product.
//
//   node sign-bundle.js --key private.pem --digest sha256:<hex>
//        [--predicate-type URI] [--statement-type URI] [--payload-type TYPE] [--subject-digest sha256:<hex>]
//        [--rsa-pss] [--rekor-key rekor-private.pem [--tlog-names-other-key other.pub]]
// prints the bundle JSON on stdout.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const { DSSEBundleBuilder } = require('@sigstore/sign');
const { bundleToJSON, envelopeToJSON } = require('@sigstore/bundle');

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const name = a.slice(2);
    if (name === 'rsa-pss') out[name] = true;
    else out[name] = argv[++i];
  }
  for (const required of ['key', 'digest']) if (!out[required]) throw new Error(`--${required} is required`);
  return out;
}

const sha256 = (data) => crypto.createHash('sha256').update(data).digest();

function hashFor(key) {
  if (key.asymmetricKeyType === 'ed25519') return null;
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails.namedCurve === 'secp384r1') return 'sha384';
  return 'sha256';
}

function signWith(key, data, pss) {
  const options = { key };
  if (key.asymmetricKeyType === 'rsa') {
    options.padding = pss ? crypto.constants.RSA_PKCS1_PSS_PADDING : crypto.constants.RSA_PKCS1_PADDING;
    if (pss) options.saltLength = crypto.constants.RSA_PSS_SALTLEN_DIGEST;
  }
  return crypto.sign(hashFor(key), data, options);
}

// A Rekor stand-in: a dsse 0.0.1 log entry for the envelope, with an inclusion promise (SET)
// signed by a local key, shaped as rekor.sigstore.dev returns it.
function rekorWitness(rekorKey, verifierPem) {
  const rekorPublic = crypto.createPublicKey(rekorKey);
  const logId = sha256(rekorPublic.export({ type: 'spki', format: 'der' }));
  return {
    async testify(content) {
      const env = content.dsseEnvelope;
      const body = {
        apiVersion: '0.0.1',
        kind: 'dsse',
        spec: {
          envelopeHash: { algorithm: 'sha256', value: sha256(JSON.stringify(envelopeToJSON(env))).toString('hex') },
          payloadHash: { algorithm: 'sha256', value: sha256(env.payload).toString('hex') },
          signatures: env.signatures.map((s) => ({
            signature: s.sig.toString('base64'),
            verifier: Buffer.from(verifierPem).toString('base64'),
          })),
        },
      };
      const canonicalizedBody = Buffer.from(JSON.stringify(body));
      const integratedTime = Math.floor(Date.now() / 1000);
      const logIndex = 4242;
      // Rekor signs the compact JSON of these four fields, keys sorted.
      const signed = JSON.stringify({
        body: canonicalizedBody.toString('base64'),
        integratedTime,
        logID: logId.toString('hex'),
        logIndex,
      });
      const set = crypto.sign('sha256', Buffer.from(signed), rekorKey);
      return {
        tlogEntries: [
          {
            logIndex: String(logIndex),
            logId: { keyId: logId },
            kindVersion: { kind: 'dsse', version: '0.0.1' },
            integratedTime: String(integratedTime),
            inclusionPromise: { signedEntryTimestamp: set },
            canonicalizedBody,
          },
        ],
      };
    },
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const key = crypto.createPrivateKey(fs.readFileSync(args.key));
  const publicPem = crypto.createPublicKey(key).export({ type: 'spki', format: 'pem' });
  const hint = sha256(crypto.createPublicKey(key).export({ type: 'spki', format: 'der' })).toString('base64');
  const signer = {
    async sign(data) {
      return { signature: signWith(key, data, args['rsa-pss']), key: { $case: 'publicKey', publicKey: publicPem, hint } };
    },
  };
  const subject = args['subject-digest'] || args.digest;
  const statement = {
    _type: args['statement-type'] || 'https://in-toto.io/Statement/v1',
    subject: [{ digest: { sha256: subject.replace(/^sha256:/, '') } }],
    predicateType: args['predicate-type'] || 'https://sigstore.dev/cosign/sign/v1',
    predicate: {},
  };
  const witnesses = [];
  if (args['rekor-key']) {
    const verifier = args['tlog-names-other-key'] ? fs.readFileSync(args['tlog-names-other-key'], 'utf8') : publicPem;
    witnesses.push(rekorWitness(crypto.createPrivateKey(fs.readFileSync(args['rekor-key'])), verifier));
  }
  const builder = new DSSEBundleBuilder({ signer, witnesses });
  const bundle = await builder.create({
    data: Buffer.from(JSON.stringify(statement)),
    type: args['payload-type'] || 'application/vnd.in-toto+json',
  });
  process.stdout.write(JSON.stringify(bundleToJSON(bundle)));
}

main().catch((e) => {
  process.stderr.write(`sign-bundle: ${e.message}\n`);
  process.exit(1);
});
