# Verify a Dataspike webhook (X-Webhook-Signature: t=<unix>,v1=<hex HMAC-SHA256>).
# Ruby's standard library only. Pass the RAW request body (request.raw_post in Rails,
# request.body.read in Rack), before any JSON parsing: re-serialized JSON has other bytes.
require 'openssl'

DATASPIKE_TOLERANCE_S = 300 # Dataspike does not document one; 300 s is the industry default.

# Returns the index of the secret that matched (0: the current one; 1: the old one while
# rotating). Raises ArgumentError with the reason when the delivery must be rejected (400).
def verify_dataspike(raw_body, header, secrets, now = Time.now.to_i, tolerance = DATASPIKE_TOLERANCE_S)
  t = nil
  sigs = []
  header.to_s.split(',', -1).each do |item|
    name, sep, value = item.partition('=')
    name = name.strip
    value = value.strip
    raise ArgumentError, 'malformed signature header' if sep.empty? || value.empty?
    case name
    when 't'
      raise ArgumentError, 'duplicate t' unless t.nil?
      raise ArgumentError, 't is not a Unix time' unless value.match?(/\A[0-9]{1,10}\z/)
      t = value.to_i
    when 'v1'
      sigs << value
    end # Other schemes (v0, ...) are ignored, never used instead.
  end
  raise ArgumentError, 'signature header needs t and v1' if t.nil? || sigs.empty?
  raise ArgumentError, 'timestamp outside the tolerance (replayed or clock skew)' if (now - t).abs > tolerance
  signed = "#{t}.".b + raw_body.b
  secrets.each_with_index do |secret, i|
    key = [secret.delete_prefix('whsec_')].pack('H*')
    expected = OpenSSL::HMAC.digest('SHA256', key, signed)
    sigs.each do |sig|
      next unless sig.match?(/\A[0-9a-fA-F]{64}\z/)
      # Whole 32-byte digests, compared in constant time: an empty or short v1 never passes.
      return i if OpenSSL.fixed_length_secure_compare([sig].pack('H*'), expected)
    end
  end
  raise ArgumentError, 'no secret matches the signature'
end
