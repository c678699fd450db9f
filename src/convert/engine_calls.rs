//! Godot's own entry points for filling arrays and dictionaries, looked up once.
//!
//! Message dictionaries are built in the hottest loop we have. Through gdext's safe wrappers one message costs
//! about 45 calls into Godot, each of which asserts (by cloning the current thread's handle) that it runs on the
//! main thread, plus copies of keys and type checks: 2.5 µs a message. The calls here go straight to the engine,
//! about 14 a message. Every `unsafe` block is confined to this module; its safe API only ever touches values
//! it owns or has just created, on the thread that created them.

use std::ffi::c_void;
use std::marker::PhantomData;

use godot::builtin::{PackedByteArray, StringName, VarArray, VarDictionary, Variant};
use godot::meta::ToGodot;
use godot::sys::{self, GodotFfi};

type VariantIndexFn = unsafe extern "C" fn(
    sys::GDExtensionTypePtr,
    sys::GDExtensionConstVariantPtr,
) -> sys::GDExtensionVariantPtr;
type ArrayIndexFn = unsafe extern "C" fn(
    sys::GDExtensionTypePtr,
    sys::GDExtensionInt,
) -> sys::GDExtensionVariantPtr;
type BytesIndexFn = unsafe extern "C" fn(sys::GDExtensionTypePtr, sys::GDExtensionInt) -> *mut u8;
type DuplicateFn = unsafe extern "C" fn(
    sys::GDExtensionConstVariantPtr,
    sys::GDExtensionVariantPtr,
    sys::GDExtensionBool,
);
type IntoVariantFn =
    unsafe extern "C" fn(sys::GDExtensionUninitializedVariantPtr, sys::GDExtensionTypePtr);
type InsideVariantFn = unsafe extern "C" fn(sys::GDExtensionVariantPtr) -> *mut c_void;
type BytesConstIndexFn =
    unsafe extern "C" fn(sys::GDExtensionConstTypePtr, sys::GDExtensionInt) -> *const u8;
type VariantTypeFn =
    unsafe extern "C" fn(sys::GDExtensionConstVariantPtr) -> sys::GDExtensionVariantType;
type FromVariantFn =
    unsafe extern "C" fn(sys::GDExtensionUninitializedTypePtr, sys::GDExtensionVariantPtr);
type DestructorFn = unsafe extern "C" fn(sys::GDExtensionTypePtr);
type MethodFn = unsafe extern "C" fn(
    sys::GDExtensionTypePtr,
    *const sys::GDExtensionConstTypePtr,
    sys::GDExtensionTypePtr,
    i32,
);

/// `size() -> int` of `PackedByteArray` (Godot's `extension_api.json`).
const SIZE_HASH: i64 = 3_173_160_232;
/// `resize(new_size: int) -> int`, the same hash on `Array` and `PackedByteArray` (Godot's `extension_api.json`;
/// hashes are kept stable across Godot versions).
const RESIZE_HASH: i64 = 848_867_239;

/// The engine functions used per message.
pub struct EngineCalls {
    dictionary_index: VariantIndexFn,
    array_index: ArrayIndexFn,
    bytes_index: BytesIndexFn,
    bytes_const_index: BytesConstIndexFn,
    variant_type: VariantTypeFn,
    int_from_variant: FromVariantFn,
    bytes_size: MethodFn,
    duplicate: DuplicateFn,
    int_into_variant: IntoVariantFn,
    bytes_into_variant: IntoVariantFn,
    dictionary_inside_variant: InsideVariantFn,
    bytes_inside_variant: InsideVariantFn,
    array_resize: MethodFn,
    bytes_resize: MethodFn,
    bytes_destroy: DestructorFn,
    /// Copied into each payload Variant, which is then resized in place.
    empty_bytes: PackedByteArray,
}

impl EngineCalls {
    /// Looks the functions up. Must run on the main thread after Godot is initialised (any `#[func]` or class
    /// constructor qualifies); panics if the engine lacks one of them, which no Godot 4.5+ does.
    pub fn load() -> Self {
        // SAFETY: gdext is initialised (we are called from a class of ours), so the interface table is valid.
        let interface = unsafe { sys::get_interface() };
        // SAFETY: the getters take a variant type constant and return a function pointer or null.
        unsafe {
            Self {
                dictionary_index: interface.dictionary_operator_index,
                array_index: interface.array_operator_index,
                bytes_index: interface.packed_byte_array_operator_index,
                bytes_const_index: interface.packed_byte_array_operator_index_const,
                variant_type: interface.variant_get_type,
                int_from_variant: (interface.get_variant_to_type_constructor)(
                    sys::GDEXTENSION_VARIANT_TYPE_INT,
                )
                .expect("Variant to int constructor"),
                bytes_size: builtin_method(
                    interface,
                    sys::GDEXTENSION_VARIANT_TYPE_PACKED_BYTE_ARRAY,
                    "size",
                    SIZE_HASH,
                ),
                duplicate: interface.variant_duplicate,
                int_into_variant: (interface.get_variant_from_type_constructor)(
                    sys::GDEXTENSION_VARIANT_TYPE_INT,
                )
                .expect("int to Variant constructor"),
                bytes_into_variant: (interface.get_variant_from_type_constructor)(
                    sys::GDEXTENSION_VARIANT_TYPE_PACKED_BYTE_ARRAY,
                )
                .expect("PackedByteArray to Variant constructor"),
                dictionary_inside_variant: (interface.variant_get_ptr_internal_getter)(
                    sys::GDEXTENSION_VARIANT_TYPE_DICTIONARY,
                )
                .expect("Dictionary internal getter"),
                bytes_inside_variant: (interface.variant_get_ptr_internal_getter)(
                    sys::GDEXTENSION_VARIANT_TYPE_PACKED_BYTE_ARRAY,
                )
                .expect("PackedByteArray internal getter"),
                array_resize: builtin_method(
                    interface,
                    sys::GDEXTENSION_VARIANT_TYPE_ARRAY,
                    "resize",
                    RESIZE_HASH,
                ),
                bytes_resize: builtin_method(
                    interface,
                    sys::GDEXTENSION_VARIANT_TYPE_PACKED_BYTE_ARRAY,
                    "resize",
                    RESIZE_HASH,
                ),
                bytes_destroy: (interface.variant_get_ptr_destructor)(
                    sys::GDEXTENSION_VARIANT_TYPE_PACKED_BYTE_ARRAY,
                )
                .expect("PackedByteArray destructor"),
                empty_bytes: PackedByteArray::new(),
            }
        }
    }

    /// The bytes of `bytes`, borrowed for as long as it lives.
    pub fn bytes_of<'a>(&self, bytes: &'a PackedByteArray) -> &'a [u8] {
        let mut len: i64 = 0;
        // SAFETY: `bytes` is a live PackedByteArray; `size` takes no argument and returns an int. A shared
        // borrow keeps it alive and unchanged (writes from Rust need `&mut`, and copies made by Godot are
        // copy-on-write), so its first `len` bytes stay valid for `'a`.
        unsafe {
            (self.bytes_size)(
                bytes.sys().cast_mut(),
                std::ptr::null(),
                std::ptr::from_mut(&mut len).cast(),
                0,
            );
            if len <= 0 {
                return &[];
            }
            let data = (self.bytes_const_index)(bytes.sys(), 0);
            assert!(
                !data.is_null(),
                "PackedByteArray of {len} bytes has no data"
            );
            std::slice::from_raw_parts(data, len as usize)
        }
    }

    /// Releases `bytes` as its `Drop` would, with Godot's destructor, minus godot-rust's main-thread check (a
    /// clone of the thread's handle, a tenth of a send's cost): for an argument of a `#[func]`, whose call
    /// checked the thread already when it copied the argument in.
    pub fn release_bytes(&self, bytes: PackedByteArray) {
        let mut bytes = std::mem::ManuallyDrop::new(bytes);
        // SAFETY: `bytes` is a live PackedByteArray that is never used or dropped again (`ManuallyDrop`); the
        // destructor releases its reference, exactly what its `Drop` does.
        unsafe { (self.bytes_destroy)(bytes.sys_mut()) }
    }

    /// The value of an `int` Variant; `None` for any other type.
    pub fn int_of(&self, value: &Variant) -> Option<i64> {
        // SAFETY: `value` is a live Variant; the int constructor is only applied to one holding an int, and
        // writes one i64.
        unsafe {
            if (self.variant_type)(value.var_sys()) != sys::GDEXTENSION_VARIANT_TYPE_INT {
                return None;
            }
            let mut int: i64 = 0;
            (self.int_from_variant)(
                std::ptr::from_mut(&mut int).cast(),
                value.var_sys().cast_mut(),
            );
            Some(int)
        }
    }

    /// Starts an empty array to fill with dictionaries.
    pub fn array_builder(&self) -> ArrayBuilder<'_> {
        ArrayBuilder {
            calls: self,
            array: VarArray::new(),
            len: 0,
            capacity: 0,
        }
    }

    /// Resizes `array`, filling new slots with null.
    fn resize_array(&self, array: &mut VarArray, len: usize) {
        let len = len as i64;
        let args: [sys::GDExtensionConstTypePtr; 1] = [std::ptr::from_ref(&len).cast()];
        let mut error: i64 = 0;
        // SAFETY: `array` is a live Array and `resize` takes one int and returns an int.
        unsafe {
            (self.array_resize)(
                array.sys_mut(),
                args.as_ptr(),
                std::ptr::from_mut(&mut error).cast(),
                1,
            );
        }
    }
}

/// A dictionary whose shallow copies become array elements.
pub struct DictionaryTemplate(Variant);

impl DictionaryTemplate {
    pub fn new(dictionary: &VarDictionary) -> Self {
        Self(dictionary.to_variant())
    }
}

/// An `Array` being filled with dictionaries. It grows in steps and is cut to length by `finish`.
pub struct ArrayBuilder<'a> {
    calls: &'a EngineCalls,
    array: VarArray,
    /// Slots holding a dictionary.
    len: usize,
    /// Slots in `array`; those from `len` on hold null.
    capacity: usize,
}

impl ArrayBuilder<'_> {
    /// Appends a shallow copy of `template` and returns a handle to write its values through.
    pub fn push_copy(&mut self, template: &DictionaryTemplate) -> DictionarySlot<'_> {
        if self.len == self.capacity {
            self.capacity = (self.capacity * 2).max(16);
            self.calls.resize_array(&mut self.array, self.capacity);
        }
        let index = self.len;
        self.len += 1;
        // SAFETY: `index` is below `capacity`, so `slot` points at a live Variant of `array`, and it holds null
        // (resize fills with null and each index is used once), which owns nothing, so constructing over it
        // leaks nothing. The template holds a Dictionary, so the Dictionary internal getter applies to the copy.
        unsafe {
            let slot = (self.calls.array_index)(self.array.sys_mut(), index as i64);
            (self.calls.duplicate)(template.0.var_sys(), slot, 0);
            DictionarySlot {
                calls: self.calls,
                dictionary: (self.calls.dictionary_inside_variant)(slot).cast(),
                _array: PhantomData,
            }
        }
    }

    /// The array, holding exactly the dictionaries pushed.
    pub fn finish(mut self) -> VarArray {
        if self.len != self.capacity {
            self.calls.resize_array(&mut self.array, self.len);
        }
        self.array
    }
}

/// A dictionary just created in an array slot, whose values are written in place.
pub struct DictionarySlot<'a> {
    calls: &'a EngineCalls,
    dictionary: sys::GDExtensionTypePtr,
    /// The slot lives in the builder's array, which must not grow while it is written.
    _array: PhantomData<&'a mut VarArray>,
}

impl DictionarySlot<'_> {
    /// Overwrites the value under `key`, which must already hold an int or null (as the template's do).
    pub fn set_int(&mut self, key: &Variant, value: i64) {
        let mut value = value;
        // SAFETY: `dictionary` is the live Dictionary this slot was made for. Indexing with an existing key
        // returns its value's Variant; an int or null owns nothing, so constructing over it leaks nothing.
        unsafe {
            let target = (self.calls.dictionary_index)(self.dictionary, key.var_sys());
            (self.calls.int_into_variant)(target.cast(), std::ptr::from_mut(&mut value).cast());
        }
    }

    /// Overwrites the value under `key`, which must hold null, with a new `PackedByteArray` copy of `bytes`.
    pub fn set_bytes(&mut self, key: &Variant, bytes: &[u8]) {
        let calls = self.calls;
        // SAFETY: as in `set_int`, the target holds null. After construction it holds a PackedByteArray, so the
        // PackedByteArray internal getter applies; the array is resized to `bytes.len()` before its first byte's
        // address is taken, and is not shared yet, so writing through it touches no other value.
        unsafe {
            let target = (calls.dictionary_index)(self.dictionary, key.var_sys());
            (calls.bytes_into_variant)(target.cast(), calls.empty_bytes.sys().cast_mut());
            if bytes.is_empty() {
                return;
            }
            let array = (calls.bytes_inside_variant)(target).cast();
            let len = bytes.len() as i64;
            let args: [sys::GDExtensionConstTypePtr; 1] = [std::ptr::from_ref(&len).cast()];
            let mut error: i64 = 0;
            (calls.bytes_resize)(
                array,
                args.as_ptr(),
                std::ptr::from_mut(&mut error).cast(),
                1,
            );
            let data = (calls.bytes_index)(array, 0);
            assert!(!data.is_null(), "PackedByteArray resize to {len} failed");
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), data, bytes.len());
        }
    }
}

/// A builtin type's method, by name and Godot's compatibility hash.
///
/// # Safety
/// `interface` must be Godot's live interface table.
unsafe fn builtin_method(
    interface: &sys::GDExtensionInterface,
    variant_type: sys::GDExtensionVariantType,
    name: &str,
    hash: i64,
) -> MethodFn {
    let name = StringName::from(name);
    // SAFETY: the caller guarantees the interface; `name` outlives the call.
    unsafe { (interface.variant_get_ptr_builtin_method)(variant_type, name.sys().cast(), hash) }
        .unwrap_or_else(|| panic!("builtin method {name} missing"))
}
