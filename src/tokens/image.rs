//! Image token estimates the way Anthropic documents them: an image costs about
//! `width × height / 750` tokens after it is scaled to fit a 1568-pixel long edge and about
//! 1.15 megapixels (at most ~1600 tokens). We only have the base64 data, so the dimensions
//! come from the PNG, JPEG, GIF or WebP header; anything unreadable costs the maximum.
//! See <https://docs.anthropic.com/en/docs/build-with-claude/vision#evaluate-image-size>.

use base64::Engine;

/// What an image costs when its size is unknown (a URL, an unreadable header): the most
/// any image can cost, so context management errs on the safe side.
pub const FALLBACK_TOKENS: u64 = 1600;
const MAX_LONG_EDGE: u64 = 1568;
const PIXELS_PER_TOKEN: u64 = 750;
/// How much base64 is decoded to find the dimensions: a JPEG's frame header can follow a
/// large EXIF block, so read up to 64 KiB of the image.
const HEADER_BASE64_CHARS: usize = 64 * 1024 / 3 * 4;

/// The token estimate for base64 image data.
pub fn tokens(base64_data: &str) -> u64 {
    dimensions(base64_data).map_or(FALLBACK_TOKENS, |(w, h)| tokens_for(w, h))
}

/// The token estimate for an image of `width × height` pixels.
pub fn tokens_for(width: u64, height: u64) -> u64 {
    if width == 0 || height == 0 {
        return 0;
    }
    let long = width.max(height);
    let (mut w, mut h) = (width, height);
    if long > MAX_LONG_EDGE {
        w = width * MAX_LONG_EDGE / long;
        h = height * MAX_LONG_EDGE / long;
    }
    (w * h / PIXELS_PER_TOKEN).clamp(1, FALLBACK_TOKENS)
}

/// Width and height from the header of base64 image data.
pub fn dimensions(base64_data: &str) -> Option<(u64, u64)> {
    let take = base64_data.len().min(HEADER_BASE64_CHARS) / 4 * 4;
    let prefix = base64_data.get(..take)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(prefix)
        .ok()?;
    png(&bytes)
        .or_else(|| gif(&bytes))
        .or_else(|| webp(&bytes))
        .or_else(|| jpeg(&bytes))
}

fn be16(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(u16::from_be_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
    ])))
}

fn le16(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(u16::from_le_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
    ])))
}

fn le24(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(*b.get(at)?) | le16(b, at + 1)? << 8)
}

fn be32(b: &[u8], at: usize) -> Option<u64> {
    let bytes: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(u64::from(u32::from_be_bytes(bytes)))
}

fn png(b: &[u8]) -> Option<(u64, u64)> {
    if !(b.starts_with(b"\x89PNG\r\n\x1a\n") && b.get(12..16)? == b"IHDR") {
        return None;
    }
    Some((be32(b, 16)?, be32(b, 20)?))
}

fn gif(b: &[u8]) -> Option<(u64, u64)> {
    if !(b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a")) {
        return None;
    }
    Some((le16(b, 6)?, le16(b, 8)?))
}

/// WebP: a RIFF container whose first chunk is lossy (`VP8 `), lossless (`VP8L`) or
/// extended (`VP8X`), each storing the size differently.
fn webp(b: &[u8]) -> Option<(u64, u64)> {
    if !(b.starts_with(b"RIFF") && b.get(8..12)? == b"WEBP") {
        return None;
    }
    match b.get(12..16)? {
        b"VP8 " => Some((le16(b, 26)? & 0x3fff, le16(b, 28)? & 0x3fff)),
        b"VP8L" => {
            let bits = u32::from_le_bytes(b.get(21..25)?.try_into().ok()?);
            Some((
                u64::from(bits & 0x3fff) + 1,
                u64::from((bits >> 14) & 0x3fff) + 1,
            ))
        }
        b"VP8X" => Some((le24(b, 24)? + 1, le24(b, 27)? + 1)),
        _ => None,
    }
}

/// JPEG: walk the segments to the first start-of-frame marker (SOF0–SOF15 except DHT,
/// JPG and DAC), which holds the height then the width.
fn jpeg(b: &[u8]) -> Option<(u64, u64)> {
    if !b.starts_with(&[0xff, 0xd8]) {
        return None;
    }
    let mut at = 2;
    loop {
        while *b.get(at)? == 0xff && *b.get(at + 1)? == 0xff {
            at += 1;
        }
        if *b.get(at)? != 0xff {
            return None;
        }
        let marker = *b.get(at + 1)?;
        if (0xc0..=0xcf).contains(&marker) && ![0xc4, 0xc8, 0xcc].contains(&marker) {
            return Some((be16(b, at + 7)?, be16(b, at + 5)?));
        }
        let length = usize::try_from(be16(b, at + 2)?).ok()?;
        at += 2 + length;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    fn png_header(width: u32, height: u32) -> Vec<u8> {
        let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        bytes.extend_from_slice(&width.to_be_bytes());
        bytes.extend_from_slice(&height.to_be_bytes());
        bytes.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
        bytes
    }

    #[test]
    fn reads_png_dimensions() {
        assert_eq!(dimensions(&b64(&png_header(1000, 500))), Some((1000, 500)));
    }

    #[test]
    fn reads_gif_dimensions() {
        let mut bytes = b"GIF89a".to_vec();
        bytes.extend_from_slice(&[0x20, 0x03, 0x58, 0x02, 0, 0, 0]);
        assert_eq!(dimensions(&b64(&bytes)), Some((800, 600)));
    }

    #[test]
    fn reads_jpeg_dimensions_after_an_app_segment() {
        let mut bytes = vec![0xff, 0xd8, 0xff, 0xe0, 0x00, 0x06, b'J', b'F', b'I', b'F'];
        bytes.extend_from_slice(&[0xff, 0xc0, 0x00, 0x11, 0x08, 0x01, 0xe0, 0x02, 0x80, 3]);
        bytes.extend_from_slice(&[0; 12]);
        assert_eq!(dimensions(&b64(&bytes)), Some((640, 480)));
    }

    #[test]
    fn reads_webp_dimensions() {
        let mut lossless = b"RIFF\0\0\0\0WEBPVP8L\0\0\0\0\x2f".to_vec();
        let bits: u32 = (99) | (49 << 14);
        lossless.extend_from_slice(&bits.to_le_bytes());
        assert_eq!(dimensions(&b64(&lossless)), Some((100, 50)));
        let mut extended = b"RIFF\0\0\0\0WEBPVP8X\0\0\0\0\0\0\0\0".to_vec();
        extended.extend_from_slice(&[0x1f, 0x03, 0x00, 0x57, 0x02, 0x00]);
        assert_eq!(dimensions(&b64(&extended)), Some((800, 600)));
    }

    #[test]
    fn follows_anthropics_formula_and_scaling() {
        assert_eq!(tokens_for(200, 200), 53);
        assert_eq!(tokens_for(1000, 1000), 1333);
        // A 4000×3000 photo is scaled to 1568×1176, then capped.
        assert_eq!(tokens_for(4000, 3000), 1600);
    }

    #[test]
    fn unreadable_images_cost_the_maximum() {
        assert_eq!(tokens("not base64 at all!"), FALLBACK_TOKENS);
        assert_eq!(tokens(&b64(b"plain text, not an image")), FALLBACK_TOKENS);
        assert_eq!(tokens(&b64(&png_header(200, 200))), 53);
    }
}
