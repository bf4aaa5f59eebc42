//! A panic reverts the message with `Error(string)` carrying the panic's
//! message when it is a plain string (e.g. "attempt to subtract with
//! overflow" from checked arithmetic). Formatted messages are not rendered:
//! that would pull `core::fmt` into every contract and add tens of KiB.

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    let message = info.message().as_str().unwrap_or("panic");
    crate::host::revert(&crate::Revert::msg(message).0)
}
