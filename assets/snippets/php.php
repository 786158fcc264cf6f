<?php
// Verify a Dataspike webhook (X-Webhook-Signature: t=<unix>,v1=<hex HMAC-SHA256>).
// PHP's standard library only. Pass the RAW request body (file_get_contents('php://input')),
// before json_decode: re-encoded JSON has other bytes, and its signature will not match.

const DATASPIKE_TOLERANCE_S = 300; // Dataspike does not document one; 300 s is the industry default.

// Returns the index of the secret that matched (0: the current one; 1: the old one while
// rotating). Throws InvalidArgumentException with the reason when the delivery must be rejected.
function verify_dataspike(string $rawBody, string $header, array $secrets, ?int $now = null, int $tolerance = DATASPIKE_TOLERANCE_S): int
{
    $t = null;
    $sigs = [];
    foreach (explode(',', $header) as $item) {
        $at = strpos($item, '=');
        $name = $at === false ? '' : trim(substr($item, 0, $at));
        $value = $at === false ? '' : trim(substr($item, $at + 1));
        if ($at === false || $value === '') {
            throw new InvalidArgumentException('malformed signature header');
        }
        if ($name === 't') {
            if ($t !== null) {
                throw new InvalidArgumentException('duplicate t');
            }
            if (!preg_match('/\A[0-9]{1,10}\z/', $value)) {
                throw new InvalidArgumentException('t is not a Unix time');
            }
            $t = (int) $value;
        } elseif ($name === 'v1') {
            $sigs[] = $value;
        } // Other schemes (v0, ...) are ignored, never used instead.
    }
    if ($t === null || count($sigs) === 0) {
        throw new InvalidArgumentException('signature header needs t and v1');
    }
    $now = $now ?? time();
    if (abs($now - $t) > $tolerance) {
        throw new InvalidArgumentException('timestamp outside the tolerance (replayed or clock skew)');
    }
    $signed = $t . '.' . $rawBody;
    foreach ($secrets as $i => $secret) {
        $hex = str_starts_with($secret, 'whsec_') ? substr($secret, 6) : $secret;
        $expected = hash_hmac('sha256', $signed, hex2bin($hex), true);
        foreach ($sigs as $sig) {
            if (!preg_match('/\A[0-9a-fA-F]{64}\z/', $sig)) {
                continue;
            }
            // Whole 32-byte digests, compared in constant time: an empty or short v1 never passes.
            if (hash_equals($expected, hex2bin($sig))) {
                return $i;
            }
        }
    }
    throw new InvalidArgumentException('no secret matches the signature');
}
