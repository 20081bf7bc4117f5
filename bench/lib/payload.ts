/**
 * The one prediction every tool logs: 20 features (12 numeric, 6 categorical, a free-text comment and a
 * flag), a score and a latency. Deterministic per sequence number, so every tool gets the same
 * payloads and a document can be traced back to the call that logged it.
 */

export interface BenchPrediction {
  seq: number;
  features: Record<string, number | string | boolean>;
  prediction: number;
  latencyMs: number;
}

/** A 32-bit hash of the sequence number and a salt: cheap, stateless, deterministic. */
function unit(seq: number, salt: number): number {
  let h = Math.imul(seq ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(salt, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
}

const plans = ['basic', 'standard', 'premium', 'enterprise'];
const regions = ['eu-west-1', 'eu-central-1', 'us-east-1', 'us-west-2', 'ap-southeast-1'];
const devices = ['android-phone', 'ios-phone', 'desktop-web', 'tablet', 'smart-tv'];
const channels = ['organic-search', 'paid-search', 'referral', 'email-campaign', 'direct'];
const agents = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Mobile Safari/537.36',
];
const words = ['delivery', 'late', 'refund', 'support', 'great', 'slow', 'price', 'app', 'order', 'thanks'];

export function makePrediction(seq: number): BenchPrediction {
  const u = (salt: number) => unit(seq, salt);
  const round = (x: number, digits: number) => Number(x.toFixed(digits));
  return {
    seq,
    features: {
      age: 18 + Math.floor(u(1) * 60),
      income: round(20_000 + u(2) * 130_000, 2),
      tenure_months: Math.floor(u(3) * 120),
      monthly_spend: round(u(4) * 400, 2),
      sessions_last_30d: Math.floor(u(5) * 90),
      avg_session_minutes: round(u(6) * 45, 3),
      support_tickets: Math.floor(u(7) * 8),
      discount_rate: round(u(8) * 0.4, 4),
      credit_score: 300 + Math.floor(u(9) * 550),
      days_since_last_order: Math.floor(u(10) * 365),
      cart_value: round(u(11) * 900, 2),
      risk_index: round(u(12) * 10 - 5, 5),
      plan: plans[Math.floor(u(13) * plans.length)] as string,
      region: regions[Math.floor(u(14) * regions.length)] as string,
      device: devices[Math.floor(u(15) * devices.length)] as string,
      channel: channels[Math.floor(u(16) * channels.length)] as string,
      city: `city-${String(Math.floor(u(17) * 500)).padStart(3, '0')}`,
      user_agent: agents[Math.floor(u(18) * agents.length)] as string,
      last_comment: Array.from({ length: 40 }, (_, i) => words[Math.floor(u(30 + i) * words.length)]).join(
        ' ',
      ),
      newsletter: u(19) < 0.4,
    },
    prediction: round(u(20), 6),
    latencyMs: round(1 + u(21) * 20, 3),
  };
}
