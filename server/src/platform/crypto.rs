//! The runtime's WebCrypto: random bytes and PBKDF2 (native, not wasm).

use crate::error::ApiError;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Crypto, CryptoKey, Pbkdf2Params};

fn crypto() -> Result<Crypto, ApiError> {
    let global = js_sys::global();
    let c = js_sys::Reflect::get(&global, &JsValue::from_str("crypto")).map_err(js)?;
    Ok(c.unchecked_into())
}

fn js(e: JsValue) -> ApiError {
    ApiError::Storage(format!("crypto: {e:?}"))
}

pub fn random_bytes(buf: &mut [u8]) -> Result<(), ApiError> {
    crypto()?.get_random_values_with_u8_array(buf).map_err(js)?;
    Ok(())
}

/// PBKDF2-HMAC-SHA256 of `password`, 32 bytes.
pub async fn pbkdf2(password: &str, salt: &[u8], iterations: u32) -> Result<Vec<u8>, ApiError> {
    let subtle = crypto()?.subtle();
    let key_data = js_sys::Uint8Array::from(password.as_bytes());
    let usages = js_sys::Array::of1(&JsValue::from_str("deriveBits"));
    let key: CryptoKey = JsFuture::from(
        subtle
            .import_key_with_str("raw", &key_data, "PBKDF2", false, &usages)
            .map_err(js)?,
    )
    .await
    .map_err(js)?
    .unchecked_into();
    let salt = js_sys::Uint8Array::from(salt);
    let params = Pbkdf2Params::new("PBKDF2", &JsValue::from_str("SHA-256"), iterations, &salt);
    let bits = JsFuture::from(
        subtle
            .derive_bits_with_object(&params, &key, 256)
            .map_err(js)?,
    )
    .await
    .map_err(js)?;
    Ok(js_sys::Uint8Array::new(&bits).to_vec())
}
